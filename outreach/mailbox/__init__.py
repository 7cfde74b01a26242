"""The mail account over IMAP: the connection, reading replies into the journal, drafts pushed."""
