"""Widgets of the studio screen: they render state and post messages; the screen reacts."""
