"""The feedback store and the owner's work from it: the database, the store's writes (and its
writer's queue) and reads, the weekly report, bank suggestions, the review, and the bank's own
check (each bank question asked through the assistant).

May import answering, the index, the guide and the core modules; never the web or the command line.
"""
