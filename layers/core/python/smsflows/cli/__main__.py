"""`python -m smsflows.cli ...` (how the end-to-end tests start `smsflows local`)."""

import sys

from smsflows.cli import main

sys.exit(main())
