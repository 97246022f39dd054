"""The database: SQLAlchemy 2 models and the only functions that read and write them."""
