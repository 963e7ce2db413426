
BlogitsJ(Iю─а
щ0аХyъю4Pлю╬KnютЖаDЭcаUpcA(я5аУCа