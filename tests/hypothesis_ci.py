"""Property tests explore at random while developing, but CI runs a fixed set of examples, so a
landing is never blocked by a newly drawn case (run locally to keep exploring)."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
