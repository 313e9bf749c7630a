"""An estimate of how guessable a secret key is, in bits.

Length alone says little: 40 times the same character is 40 characters. The estimate
charges each character what an attacker who knows the usual shortcuts would pay to guess
it, and takes the cheapest explanation at each position:

- a repeat of text seen earlier in the key (``abcabcabc``, ``aaaa``): the position and
  length of the earlier copy, a few bits for the whole run;
- a step sequence continuing the previous two characters (``abcd``, ``1357``, ``zyx``);
- a common word or keyboard walk (``password``, ``changeme``, ``qwerty``);
- otherwise one symbol drawn from the key's alphabet, whose size is the smaller of the
  character classes it uses (lower, upper, digits, symbols) and the number of distinct
  characters it really contains, rounded up to a usual alphabet (hex, base32, base64):
  a key of only ``a`` and ``b`` is binary, however long.

It is a lower-biased estimate in the spirit of zxcvbn, not a proof: a key generated with
``secrets.token_urlsafe(48)`` scores far above the bar, a typed sentence or a pattern far
below.
"""

from __future__ import annotations

import math
import string

# Words and walks people put in keys; matched case-insensitively. Guessing one costs
# choosing it from this list.
COMMON_WORDS = (
    "password", "passw0rd", "secret", "changeme", "change-me", "change_me", "default",
    "example", "admin", "letmein", "welcome", "monitor", "trio", "dashboard", "session",
    "cookie", "django", "flask", "insecure", "development", "production", "test",
    "qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "0987654321", "abcdefghijklmnopqrstuvwxyz",
    "qwerty", "azerty", "asdf", "zxcv", "1q2w3e4r", "iloveyou", "dragon", "monkey",
)
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
_NATURAL_ALPHABETS = (2, 4, 8, 10, 16, 26, 32, 36, 52, 62, 64, 85, 95)
_MIN_REPEAT = 3  # shorter repeats are cheaper to spell out than to point at


def estimate_bits(key: str) -> float:
    """Estimated bits of entropy of ``key`` (0 for an empty key)."""
    if not key:
        return 0.0
    symbol_bits = math.log2(max(2, _alphabet_size(key)))
    word_bits = math.log2(len(COMMON_WORDS))
    lower = key.lower()
    total = 0.0
    i = 0
    while i < len(key):
        options = [(symbol_bits, 1)]
        word = _word_at(lower, i)
        if word:
            options.append((word_bits, word))
        length = _repeat_at(key, i)
        if length >= _MIN_REPEAT:
            # Where the copy starts and how long it is.
            options.append((math.log2(i + 1) + math.log2(len(key)), length))
        if i >= 2 and _continues_step(key, i):
            options.append((1.0, 1))
        # The cheapest per character covered.
        bits, covered = min(options, key=lambda o: o[0] / o[1])
        total += bits
        i += covered
    return total


def _alphabet_size(key: str) -> int:
    pool = sum(len(chars) for chars in _CLASSES if any(c in chars for c in key))
    others = {c for c in key if not any(c in chars for chars in _CLASSES)}
    if others:
        pool += max(33, len(others))  # printable ASCII punctuation, or more
    distinct = len(set(key))
    # The alphabet a generator would have drawn from: a hex key with 14 distinct digits
    # was still drawn from 16.
    natural = next((size for size in _NATURAL_ALPHABETS if size >= distinct), distinct)
    return min(pool, natural)


def _word_at(lower: str, i: int) -> int:
    return max((len(w) for w in COMMON_WORDS if lower.startswith(w, i)), default=0)


def _repeat_at(key: str, i: int) -> int:
    """Length of the longest run at ``i`` that copies text starting before ``i``
    (overlapping allowed, so ``aaaa`` is one character and a copy of it)."""
    best = 0
    for start in range(i):
        n = 0
        while i + n < len(key) and key[start + n] == key[i + n]:
            n += 1
        best = max(best, n)
    return best


def _continues_step(key: str, i: int) -> bool:
    step = ord(key[i - 1]) - ord(key[i - 2])
    return abs(step) <= 3 and ord(key[i]) - ord(key[i - 1]) == step
