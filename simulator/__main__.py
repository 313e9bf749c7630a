import sys

from simulator._cli import main

sys.exit(main())
