import os


def format_rent(amount):
    return "%d €" % amount
