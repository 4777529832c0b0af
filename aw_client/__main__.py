import sys

from aw_client.cli import main

sys.exit(main())
