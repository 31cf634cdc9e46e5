"""Every table of the portfolio, registered on one metadata. Import this module to get them all."""
from .accounts import Account, Role
from .base import Base
from .decision_records import CofundingAgreement, CofundingShare, CommitmentEntry, EntryKind, Scenario
from .institutions import Institution, InstitutionKind
from .partners import Commitment, CommitmentState, CommitmentYear, ExchangeRate, Partner, PartnerKind
from .programme import Call, CallPhase, Challenge, ChallengeStatus, Programme
from .proposals import (
    NEXT_STATUSES,
    Proposal,
    ProposalBudget,
    ProposalChallenge,
    ProposalInstitution,
    ProposalStatus,
    ProposalStatusChange,
)
from .reviews import Review, Reviewer, ReviewState

metadata = Base.metadata

__all__ = [
    "Base", "metadata", "Institution", "InstitutionKind", "Commitment", "CommitmentState", "CommitmentYear",
    "ExchangeRate", "Partner", "PartnerKind", "Call", "CallPhase", "Challenge", "ChallengeStatus", "Programme",
    "NEXT_STATUSES", "Proposal", "ProposalBudget", "ProposalChallenge", "ProposalInstitution", "ProposalStatus",
    "ProposalStatusChange", "Review", "Reviewer", "ReviewState", "CofundingAgreement", "CofundingShare",
    "CommitmentEntry", "EntryKind", "Scenario", "Account", "Role",
]
