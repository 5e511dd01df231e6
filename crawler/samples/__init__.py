"""Sample outlets written for the project, served on 127.0.0.1 for the demo and the tests."""
