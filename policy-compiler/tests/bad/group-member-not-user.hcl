# expect: JIT046 line 5
version = "jit/v1"

group "dba-leads" {
  members = ["alice", "user:bob"]
}
