# Platform roles: production operations on AWS, and the break-glass role.
version = "jit/v1"

role "prod-oncall" {
  description = "Restart production services and instances and read their logs during an on-call shift"
  aws {
    actions = [
      "ec2:RebootInstances",
      "ecs:UpdateService",
      "ssm:StartSession",
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
    ]
    resources = [
      "arn:aws:ecs:eu-west-3:210987654321:service/acme-prod/*",
      "arn:aws:ec2:eu-west-3:210987654321:instance/*",
      "arn:aws:logs:eu-west-3:210987654321:log-group:/acme/prod/*",
    ]
  }
}

role "prod-observer" {
  description = "Read-only dashboards and metrics in production (AWS and GCP)"
  aws {
    actions   = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:GetDashboard"]
    resources = ["arn:aws:cloudwatch::210987654321:dashboard/acme-prod-*"]
  }
  gcp {
    role     = "roles/monitoring.viewer"
    resource = "projects/acme-prod"
  }
}

role "k8s-deployer" {
  description = "Deploy to the production EKS cluster from CI"
  aws {
    actions   = ["eks:DescribeCluster", "eks:AccessKubernetesApi", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [
      "arn:aws:eks:eu-west-3:210987654321:cluster/acme-prod",
      "arn:aws:ecr:eu-west-3:210987654321:repository/acme/*",
    ]
  }
}

# Break-glass: everything, everywhere. Only bound under the `emergency`
# policy (two approvals, 15 minute sessions, one day at most).
role "break-glass-admin" {
  description     = "Full administrative access for declared incidents only"
  allow_wildcards = true
  aws {
    actions   = ["*"]
    resources = ["*"]
  }
  gcp {
    role     = "roles/resourcemanager.projectIamAdmin"
    resource = "projects/acme-prod"
  }
  azure {
    role_definition_id = "/subscriptions/6f1d3c9a-2b7e-4c55-9a1e-0c8d2f4b7a10/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    scope              = "/subscriptions/6f1d3c9a-2b7e-4c55-9a1e-0c8d2f4b7a10"
  }
  openbao {
    path "sys/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
    path "*"     { capabilities = ["read", "list"] }
  }
}

# Elevation: the backup job holds its own low-privilege role and may assume
# the privileged backup-admin role only inside its grant. Lowered to the
# statements of backup-admin's trust policy (the aws_trust target), checked
# when the role is assumed.
role "backup-admin-elevation" {
  description = "Assume backup-admin (snapshots and vault locks in production)"
  aws {
    assume_role = "arn:aws:iam::210987654321:role/backup-admin"
  }
}
