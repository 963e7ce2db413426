
BlogitsJ(Æn9ÁŠ"ÀP×AD\ÄÀóy`Á\MaÁ­áÀpçMÁsW¿Jã‡Á