"""Access control: API keys with scopes on bucket globs, the loopback/required policy, rate limits.

Modules: ``scopes`` (what a key may do), ``keys`` (the stored keys), ``keyring`` (the server's
cache and the key operations), ``ratelimit``, ``config`` (``[auth]``/``[ratelimit]``), ``policy``
(who the request is from: the hooks every request passes), ``access`` (the rule per endpoint),
``api`` (``/api/0/keys``) and ``cli`` (``aw-server keys``).
"""
