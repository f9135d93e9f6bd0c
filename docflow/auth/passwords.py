"""The password policy: one function every place that sets a password calls.

At least 12 characters, not only digits, not the login (in any case, nor the login with a few
characters around it), not one of the commonly used passwords below. Length matters far more
than character classes (NIST SP 800-63B §5.1.1.2), so no "one capital, one symbol" rules.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

MIN_LENGTH = 12

# Passwords that lead every leaked-password list (and local favourites), 12 characters or
# longer — shorter ones fail on length anyway. Compared case-insensitively.
COMMON_PASSWORDS = frozenset("""
123456789012 1234567890123 12345678901234 123456789123 111111111111 000000000000
123123123123 112233445566 121212121212 987654321098 098765432109 147258369147
password1234 password12345 password123! passwordpassword password1111 password2024
password2025 password2026 p@ssword1234 p@ssw0rd1234 passw0rd1234 mypassword123
qwertyuiop12 qwertyuiopas qwerty123456 qwerty12345! qwertyqwerty 1q2w3e4r5t6y
1qaz2wsx3edc q1w2e3r4t5y6 zaq12wsx3edc asdfghjkl123 asdfasdfasdf zxcvbnm12345
abcdefghijkl abcdef123456 abc123abc123 aaaaaaaaaaaa iloveyou1234 iloveyou2024
letmein12345 welcome12345 welcome2024! welcome2025! welcome2026! administrator
administrator1 admin1234567 adminadmin12 adminadmin123 changeme1234 changeme2024
superman1234 football1234 baseball1234 sunshine1234 princess1234 dragon123456
monkey123456 starwars1234 trustno11234 whatever1234 master123456 secret123456
parol1234567 parolparol12 qwerty123qwe kazakhstan12 kazakhstan2024 kazakhstan2025
kazakhstan2026 astana123456 almaty123456 nursultan123 docflow12345 docflow2026!
demo-pass-2025 123qweasdzxc 1234qwerasdf qazwsxedcrfv
""".split())


def password_problems(password: str | None, login: str | None = None) -> list[str]:
    """What is wrong with ``password`` for the user ``login`` (empty when it may be used)."""
    password = password or ""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(str(_l("The password must be at least %(n)d characters long.",
                               n=MIN_LENGTH)))
    if password.isdigit():
        problems.append(str(_l("The password must not consist of digits only.")))
    folded = password.casefold()
    name = (login or "").strip().casefold()
    if name and (folded == name or (len(name) >= 4 and name in folded
                                    and len(folded) - len(name) < 4)):
        problems.append(str(_l("The password must not be the login.")))
    if folded in COMMON_PASSWORDS:
        problems.append(str(_l("This password is too common; choose another one.")))
    return problems
