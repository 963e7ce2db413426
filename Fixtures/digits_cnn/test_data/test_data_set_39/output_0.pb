
BlogitsJ(¢8¡“gAﬁC8¡mü¿Iê+¿D¥b¡réo¡πK‚¿ﬂ4æ¿ùYù¿