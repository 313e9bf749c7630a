"""Swedish queue, group and agent names, so ISO-8859-1 handling is always exercised."""

from __future__ import annotations

import random

QUEUE_NAMES = (
    "Kundtjänst",
    "Växel",
    "Återbetalning",
    "Företag",
    "Bokföring",
    "Försäljning",
    "Fakturafrågor",
    "Leveranser",
    "Reklamation",
    "Felanmälan",
    "Bredband",
    "Mobilabonnemang",
    "Löneservice",
    "IT-hjälp",
    "Tekniska frågor",
    "Avtal och villkor",
)

GROUP_NAMES = ("Privatkunder", "Företagskunder", "Ekonomi", "Intern service")

FIRST_NAMES = (
    "Åsa", "Örjan", "Anna", "Erik", "Märta", "Björn", "Göran", "Maria", "Lars", "Karin",
    "Jörgen", "Ingrid", "Håkan", "Sofia", "Pär", "Elin", "Mårten", "Linnéa", "Stefan",
    "Kerstin", "Ulf", "Agneta", "Ylva", "Nils", "Gunnel", "Torbjörn", "Åke", "Birgitta",
)

LAST_NAMES = (
    "Öberg", "Åberg", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
    "Ström", "Sjögren", "Bäckström", "Lindqvist", "Håkansson", "Söderberg", "Forsström",
    "Näslund", "Ekström", "Östlund", "Wallén", "Grönlund", "Åkesson", "Löfgren",
)


def queue_name(index: int) -> str:
    """The name of the index-th queue; names repeat with a number suffix past the list."""
    base = QUEUE_NAMES[index % len(QUEUE_NAMES)]
    round_ = index // len(QUEUE_NAMES)
    return base if round_ == 0 else f"{base} {round_ + 1}"


def group_name(index: int) -> str:
    return GROUP_NAMES[index % len(GROUP_NAMES)]


def agent_name(index: int, rng: random.Random) -> str:
    """The first agent is always "Åsa Öberg"; the rest are drawn (duplicates are realistic)."""
    if index == 0:
        return "Åsa Öberg"
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
