"""The sign-off time-out never outlasts the review links in the form (S3 presigned URLs live at most 7 days)."""

from __future__ import annotations

from csa_report.settings import Settings
from csa_report.tasks.signoff import signoff_timeout


def test_the_default_14_days_are_capped_to_the_7_day_links():
    assert signoff_timeout(Settings()) == 7 * 24 * 3600


def test_a_shorter_time_out_is_kept_and_shorter_links_cap_it():
    assert signoff_timeout(Settings(signoff_timeout_s=3600)) == 3600
    assert signoff_timeout(Settings(review_link_seconds=2 * 24 * 3600)) == 2 * 24 * 3600
