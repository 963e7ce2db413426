
BlogitsJ(РуFБ•чA5•»А2'АXЁГА`ДPБJEнАшнaБeDЈАWIVБ