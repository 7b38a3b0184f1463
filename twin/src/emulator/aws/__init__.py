"""The AWS half of the twin: moto in server mode behind a front that adds SSM Automation, EC2 realism and faults."""
