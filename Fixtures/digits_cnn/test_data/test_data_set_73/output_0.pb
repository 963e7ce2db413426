
BlogitsJ(ЭтMаBSAk╘;юbС'абюк╧≥а^++аF`а[ч©z|а