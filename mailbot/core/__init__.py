"""The pure decision core: no I/O, no clock, no third-party libraries."""
