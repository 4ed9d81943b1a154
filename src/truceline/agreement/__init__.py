"""The agreement as code: parties, geography, prohibited acts, evidence, consequences."""

from truceline.agreement.model import AGREEMENT_TYPE, Agreement, Role, Signatory

__all__ = ["AGREEMENT_TYPE", "Agreement", "Role", "Signatory"]
