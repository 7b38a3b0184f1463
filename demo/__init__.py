"""`make demo`: the whole chain on one machine, against the local twin, narrated as it happens."""
