
BlogitsJ(|E¡‰IÃ¿–R¿t¢¿ZcÜ¿R©¡öã¡Ä•Aˇw>¡‚‰¿