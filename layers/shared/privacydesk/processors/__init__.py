"""Processors: the recipients of personal data that every correction and erasure is passed on to
(GDPR Art. 19; Philippine Data Privacy Act Sec. 16(d))."""
