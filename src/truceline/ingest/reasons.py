"""Why an envelope was rejected: stable reason codes, and the rejection itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    too_large = "too_large"  # more bytes than MAX_ENVELOPE_BYTES
    bad_json = "bad_json"  # the envelope is not JSON
    bad_envelope = "bad_envelope"  # a DSSE field is missing or of the wrong type
    bad_base64 = "bad_base64"
    too_many_signatures = "too_many_signatures"  # more than MAX_SIGNATURES, none verified
    unknown_key = "unknown_key"  # no registered sensor has the signature's keyid
    bad_signature = "bad_signature"  # the signature does not verify
    wrong_payload_type = "wrong_payload_type"
    bad_payload_json = "bad_payload_json"
    not_canonical = "not_canonical"  # the payload is not its RFC 8785 form
    invalid_observation = "invalid_observation"  # the Observation schema refused it
    seq_out_of_range = "seq_out_of_range"  # seq above MAX_SEQ
    wrong_sensor = "wrong_sensor"  # signed by one sensor's key, naming another sensor
    unauthorized = "unauthorized"  # the signer's role may not write this (truceline.authority)
    revoked = "revoked"  # the sensor or key was revoked at observed_at
    rotated_out = "rotated_out"  # the key had been replaced by observed_at
    key_not_yet_valid = "key_not_yet_valid"  # the key came in after observed_at
    replay = "replay"  # seq not above the sensor's last accepted seq
    seq_jump = "seq_jump"  # seq more than MAX_SEQ_JUMP above the sensor's last accepted seq
    clock_skew = "clock_skew"  # observed_at more than time.max_ahead_s ahead of the ingest clock
    too_old = "too_old"  # observed_at more than time.max_age_s behind the ingest clock
    duplicate_provenance = "duplicate_provenance"  # the same file row imported before
    bad_row = "bad_row"  # an adapter could not turn a source row into an observation


@dataclass(frozen=True)
class Rejection:
    reason: Reason
    field: str
    message: str
    sensor: str | None = None
    seq: int | None = None

    def __str__(self) -> str:
        return f"{self.reason}: {self.field}: {self.message}"
