
BlogitsJ(óBB¡h°¡Zº¡I¿-z¡Æ:A’ ß¿Õka¡x∑–¿[9¡