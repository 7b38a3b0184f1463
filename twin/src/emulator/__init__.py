"""Local twins of AWS and Sumo Logic: they imitate the real services for anyone, and know nothing of our product."""
