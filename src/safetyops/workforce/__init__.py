"""Vendors, sites, labelers, rosters, training and certification."""
