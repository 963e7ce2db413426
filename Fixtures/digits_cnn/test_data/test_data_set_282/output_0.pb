
BlogitsJ(B~>¡X8N¡ä¡√¿°Æ¿vZP¡é•¡'DmA¥∫$¡<=¡