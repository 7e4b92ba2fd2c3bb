"""The prompt workshop: pure logic over prompt texts (diffs, imported files), no terminal, no I/O."""
