"""The rule registry: every rule the check runs. Persons are found before any rule (runner.py); where
two risk findings overlap, the first rule's wins, so the dependency rule (whole clauses) comes before
the phrase lists, which alone work while the model is still loading."""

from __future__ import annotations

from desktop_app.core.checks.rules.base import CheckDoc, PersonMention, Rule
from desktop_app.core.checks.rules.contact import AddressRule, EmailRule, PhoneNumberRule
from desktop_app.core.checks.rules.dates_ages import AgeRule, BirthdateRule
from desktop_app.core.checks.rules.etiquette import CondolenceRule, SalutationPairRule, SeasonGreetingRule
from desktop_app.core.checks.rules.health import HealthRule
from desktop_app.core.checks.rules.identifiers import BankAccountRule, IdNumberRule
from desktop_app.core.checks.rules.person import PersonRule
from desktop_app.core.checks.rules.phrases import RiskPhraseRule
from desktop_app.core.checks.rules.risk import DependencyRiskRule
from desktop_app.core.checks.rules.style import style_rules


def default_rules() -> list[Rule]:
    return [
        EmailRule(), PhoneNumberRule(), IdNumberRule(), BankAccountRule(), AddressRule(), BirthdateRule(),
        AgeRule(), PersonRule(), HealthRule(), DependencyRiskRule(), RiskPhraseRule(), SalutationPairRule(),
        SeasonGreetingRule(), CondolenceRule(), *style_rules(),
    ]


__all__ = ["CheckDoc", "PersonMention", "Rule", "default_rules"]
