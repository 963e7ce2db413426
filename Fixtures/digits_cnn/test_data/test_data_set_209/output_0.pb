
BlogitsJ(&Wùø∆n¡°L"¡ﬂ„∑¿^ßz¡+á¢¿–ç¡Vø ¡hY2¡Îx1A