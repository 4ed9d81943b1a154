"""The observer's field kit: device keys enrolled by invitation, reports signed on the device,
evidence media stored by hash and checked (docs/field.md)."""
