"""What the scheduler runs. Jobs keep no state of their own: the truth is in our tables,
so any number of processes can run the same jobs against one database."""
