"""What the tests share, and nothing else: no test module imports another, nor conftest.

cli       ROOT, and `newsdesk` run as a user's shell runs it
ingest    a sources file in a folder, an in-process ingest run, values read back from the warehouse
waiting   wait for a condition with a deadline (never for a fixed time)
loopback  a programmable HTTP server on 127.x (flows.demo.server underneath)
hostile   feeds, pages and nasty replies for the loopback server
browser   headless Chromium: dump the DOM, take and read a screenshot
stories   texts of one story and its copies, and articles built from them
"""
