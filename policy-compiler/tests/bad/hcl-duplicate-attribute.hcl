# expect: JIT009 line 5
version = "jit/v1"
policy "p" {
  max_session = "1h"
  max_session = "2h"
}
