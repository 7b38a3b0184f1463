"""The product's tests: the `twin` fixture comes from the twin's pytest plugin (emulator.pytest_plugin), and the twin
validates every request our code sends to Sumo against Sumo's published spec when it is beside the repository."""

from tools.sumo_spec import use_reference_spec

use_reference_spec()
