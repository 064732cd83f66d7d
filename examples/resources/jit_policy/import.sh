# A policy is imported by its name; the next plan fills in the rest from the
# configuration.
terraform import jit_policy.business_hours business-hours
