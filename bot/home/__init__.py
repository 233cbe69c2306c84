"""App Home: what each rep and manager sees, and when it is republished."""
