"""ringsim: the ring-sizing study's model, reader and driver (scripts/ring-sizing)."""
