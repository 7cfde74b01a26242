"""People: the Contact type, contacts.yaml read and checked, its cache, finding a person,
addresses, and imports from address books."""
