
BlogitsJ()T
аXМIаГаMдю╝дwа'И┬юбъ╛а(SаhЧGаБЬ?A