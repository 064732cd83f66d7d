# Azure: a just-in-time grant compiled by jit and enforced by PIM.
#
# Noor gets Virtual Machine Contributor on the reporting resource group for
# three days, as an active PIM assignment with an absolute end. jit compiles
# the grant at plan time into a roleAssignmentScheduleRequests body
# (AdminAssign, expiration AfterDateTime); the AzAPI provider PUTs it. No jit
# process runs in Azure: PIM ends the assignment at endDateTime by itself.
#
# These providers cannot be downloaded on the machines this project is
# tested on: this example is checked by `terraform fmt -check` and an HCL
# parse in the tests, but it was not applied here.

terraform {
  required_version = ">= 1.0"

  required_providers {
    # AzAPI 2.x: `body` is an HCL object (1.x took a JSON string).
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
    jit = {
      source = "registry.terraform.io/jit/jit"
    }
  }
}

provider "azapi" {}

provider "jit" {}

locals {
  subscription_id = "00000000-0000-0000-0000-000000000000"
  scope           = "/subscriptions/${local.subscription_id}/resourceGroups/reporting"
}

# What may be done: Virtual Machine Contributor on the resource group.
resource "jit_role" "vm_operator" {
  name        = "vm-operator"
  description = "Start and stop the reporting VMs"

  azure {
    role_definition_id = "/subscriptions/${local.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
    scope              = local.scope
  }
}

# A policy WITHOUT windows: a PIM schedule has one start and one end and no
# recurrence, so jit refuses a binding of an azure role under a policy with
# windows (JIT050). No require block either: a PIM request carries no MFA,
# network or tag condition (JIT104). Nor does it carry a session length, so
# an Azure binding gets warning JIT108. Use Conditional Access and PIM role
# settings for those.
resource "jit_policy" "maintenance" {
  name        = "maintenance"
  description = "Planned maintenance: a few days at a time"
  max_grant   = "7d"

  approval {
    approvers     = ["group:platform-leads"]
    min_approvals = 1
  }
}

# Who, from when, until when.
resource "jit_binding" "noor_maintenance" {
  name        = "noor-maintenance"
  role_spec   = jit_role.vm_operator.spec
  policy_spec = jit_policy.maintenance.spec

  subject {
    kind  = "human"
    name  = "noor"
    azure = "3b9c2f4e-7d1a-4e8b-9c6f-2a5d8e1b4c70" # Entra object id
  }

  not_before    = "2027-01-05T08:00:00Z"
  expires_at    = "2027-01-08T18:00:00Z"
  justification = "Quarterly patching of the reporting VMs"
  ticket        = "CHG-2027-014"
}

# The grant itself: PUT <scope>/providers/Microsoft.Authorization/
# roleAssignmentScheduleRequests/<request name>?api-version=2020-10-01.
# The body is {properties = {principalId, roleDefinitionId, requestType =
# "AdminAssign", scheduleInfo = {startDateTime, expiration = {type =
# "AfterDateTime", endDateTime}}, justification, ticketInfo}}.
#
# Azure has no DELETE for schedule requests: destroying this resource fails
# (405). See README.md for how to retire it.
# The request's name is a GUID derived from the binding's name and bounds
# (a new grant is a new request); its parent is the role's scope.
resource "azapi_resource" "noor_maintenance" {
  type      = "Microsoft.Authorization/roleAssignmentScheduleRequests@2020-10-01"
  name      = jit_binding.noor_maintenance.azure_request_name
  parent_id = jit_binding.noor_maintenance.azure_scope
  body      = jsondecode(jit_binding.noor_maintenance.azure_schedule_request_json)
}

output "azure_request_name" {
  description = "The schedule request's name (a GUID derived from the binding)."
  value       = jit_binding.noor_maintenance.azure_request_name
}

output "status" {
  description = "pending, active or expired, as of the last refresh."
  value       = jit_binding.noor_maintenance.status
}
