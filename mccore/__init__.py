"""What every MicroCoder package shares and nothing else: the problem schema (`schema.Problem`),
atomic file writes, reading text files as users have them, Hub reachability and dataset-folder
checks. It imports no other MicroCoder package, so the package graph is

    mccore <- mcgen <- mceval <- mcdata <- mctrain   (and cli.py on top)
"""
