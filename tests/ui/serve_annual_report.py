"""Serve the real ``annual_report`` flow as deployment ``annual_report/ui-test`` (started by the test fixture with
the CSA_* settings of the test's SeaweedFS, SMTP server and audit DB in its environment)."""

from csa_report.flows.annual_report import annual_report

if __name__ == "__main__":
    annual_report.serve(name="ui-test", limit=2, print_starting_message=False)
