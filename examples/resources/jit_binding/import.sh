# A binding is imported by its name; the next plan fills in the rest from the
# configuration.
terraform import jit_binding.bob_reporting bob-reporting
