"""The module tests share the module_utils tests' fakes (replaying servers, recorded
fixtures, a run_command double): put that folder on sys.path before the tests import them."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils"))
