$TITLE Two-country oligopoly with free entry and 15 % trade costs (after Markusen's M54-MCP)
$ONTEXT
J. R. Markusen's teaching model M54 (MCP version): Cournot firms in countries i and j sell X at home and
abroad (segmented markets, a markup per firm and market), enter freely against a fixed cost, Y is
competitive and traded freely. The benchmark (no trade costs) has 2.5 firms in each country; this is the
model's second solve, with iceberg trade costs TC = 0.15 on exports of X.

        YI   YJ     XI   XJ   NI   NJ    WI    WJ  CONI  CONJ  ENTI ENTJ
PYI    100                             -100
PYJ         100                              -100
PXI                100                  -50   -50
PXJ                     100             -50   -50
FCI                           20                                -20
FCJ                                20                                -20
ZI     -40         -48       -12                    100
ZJ          -40         -48       -12                     100
WI     -60         -32        -8                    100
WJ          -60         -32        -8                     100
PUI                                     200        -200
PUJ                                           200        -200
MKI                -10  -10                                      10   10
MKJ                -10  -10                                      10   10

Written for sharedeq after examples/Markusen_Examples/Chapter_05/M54-MCP.gms of MPSGE.jl (its second
solve, TC = 0.15, started from the benchmark levels).
$OFFTEXT

PARAMETERS ENDOWIL, ENDOWIS, ENDOWJL, ENDOWJS, TC, SUBSIDY;
ENDOWIL = 1;
ENDOWIS = 1;
ENDOWJL = 1;
ENDOWJS = 1;
TC = 0.15;
SUBSIDY = 0;

POSITIVE VARIABLES
   YI, YJ, WFI, WFJ, XI, XII, XIJ, XJ, XJJ, XJI, NI, NJ, PY, PUI, PUJ, WI, WJ, ZI, ZJ,
   PXI, PXJ, PXDI, PXDJ, PFI, PFJ, CONSI, CONSJ, ENTI, ENTJ, MARKII, MARKIJ, MARKJI, MARKJJ;

EQUATIONS
   DXDI 'X output in i', DXI 'demand for X in i', DXDJ 'X output in j', DXJ 'demand for X in j',
   DY 'demand for Y', DWI 'welfare in i', DWJ 'welfare in j', DFI 'fixed costs in i', DFJ 'fixed costs in j',
   PRXDI 'marginal cost of X in i', PRXII 'MR = MC for XII', PRXIJ 'MR = MC for XIJ',
   PRXDJ 'marginal cost of X in j', PRXJJ 'MR = MC for XJJ', PRXJI 'MR = MC for XJI',
   PRYI, PRYJ, PRWI, PRWJ, PRFI, PRFJ, SKLABI, SKLABJ, UNLABI, UNLABJ, ICONSI, ICONSJ, IENTREI, IENTREJ,
   MKII, MKIJ, MKJJ, MKJI;

PRXDI.. (WI**0.40)*(ZI**0.60)*(1 - SUBSIDY) =G= PXDI;
PRXDJ.. (WJ**0.40)*(ZJ**0.60) =G= PXDJ;
PRXII.. PXDI =G= PXI*(1 - MARKII);
PRXIJ.. PXDI*(1 + TC) =G= PXJ*(1 - MARKIJ);
PRXJJ.. PXDJ =G= PXJ*(1 - MARKJJ);
PRXJI.. PXDJ*(1 + TC) =G= PXI*(1 - MARKJI);
PRYI..  (WI**0.60)*(ZI**0.40) =G= PY;
PRYJ..  (WJ**0.60)*(ZJ**0.40) =G= PY;
PRWI..  ((PXI/1.25)**0.5)*(PY**0.5) =G= PUI;
PRWJ..  ((PXJ/1.25)**0.5)*(PY**0.5) =G= PUJ;
PRFI..  (WI**0.40)*(ZI**0.60) =G= PFI;
PRFJ..  (WJ**0.40)*(ZJ**0.60) =G= PFJ;

DXDI..  XII*40 + XIJ*40*(1 + TC) =E= XI*80;
DXDJ..  XJJ*40 + XJI*40*(1 + TC) =E= XJ*80;
DXI..   (XII*40 + XJI*40) =E= 0.5*CONSI/PXI;
DXJ..   (XJJ*40 + XIJ*40) =E= 0.5*CONSJ/PXJ;
DY..    (YI + YJ)*100 =E= 0.5*(CONSI + CONSJ)/PY;
DWI..   WFI*200 =E= CONSI/PUI;
DWJ..   WFJ*200 =E= CONSJ/PUJ;
DFI..   NI*8 =G= ENTI/PFI;
DFJ..   NJ*8 =G= ENTJ/PFJ;

SKLABI.. 100*ENDOWIS =E= 0.40*(WI**0.60)*(ZI**(0.40 - 1))*YI*100
                       + 0.60*(WI**0.40)*(ZI**(0.60 - 1))*(XII + XIJ*(1 + TC))*40
                       + 0.60*(WI**0.40)*(ZI**(0.60 - 1))*NI*8;
SKLABJ.. 100*ENDOWJS =E= 0.40*(WJ**0.60)*(ZJ**(0.40 - 1))*YJ*100
                       + 0.60*(WJ**0.40)*(ZJ**(0.60 - 1))*(XJJ + XJI*(1 + TC))*40
                       + 0.60*(WJ**0.40)*(ZJ**(0.60 - 1))*NJ*8;
UNLABI.. 100*ENDOWIL =E= 0.60*(WI**(0.60 - 1))*(ZI**0.40)*YI*100
                       + 0.40*(WI**(0.40 - 1))*(ZI**0.60)*(XII + XIJ*(1 + TC))*40
                       + 0.40*(WI**(0.40 - 1))*(ZI**0.60)*NI*8;
UNLABJ.. 100*ENDOWJL =E= 0.60*(WJ**(0.60 - 1))*(ZJ**0.40)*YJ*100
                       + 0.40*(WJ**(0.40 - 1))*(ZJ**0.60)*(XJJ + XJI*(1 + TC))*40
                       + 0.40*(WJ**(0.40 - 1))*(ZJ**0.60)*NJ*8;
ICONSI.. CONSI =E= ZI*100*ENDOWIS + WI*100*ENDOWIL - (WI**0.40)*(ZI**0.60)*SUBSIDY*XI*80;
ICONSJ.. CONSJ =E= ZJ*100*ENDOWJS + WJ*100*ENDOWJL;
IENTREI.. ENTI =G= MARKII*PXI*XII*40 + MARKIJ*PXJ*XIJ*40;
IENTREJ.. ENTJ =G= MARKJJ*PXJ*XJJ*40 + MARKJI*PXI*XJI*40;

MKII.. MARKII =E= XII/(NI*(XII + XJI));
MKIJ.. MARKIJ =E= XIJ/(NI*(XIJ + XJJ));
MKJJ.. MARKJJ =E= XJJ/(NJ*(XIJ + XJJ));
MKJI.. MARKJI =E= XJI/(NJ*(XII + XJI));

MODEL M54 / DXDI.PXDI, DXDJ.PXDJ, DXI.PXI, DXJ.PXJ, DY.PY,
            DWI.PUI, DWJ.PUJ, DFI.PFI, DFJ.PFJ,
            PRXDI.XI, PRXII.XII, PRXIJ.XIJ,
            PRXDJ.XJ, PRXJJ.XJJ, PRXJI.XJI,
            PRYI.YI, PRYJ.YJ, PRWI.WFI, PRWJ.WFJ,
            PRFI.NI, PRFJ.NJ, SKLABI.ZI, SKLABJ.ZJ,
            UNLABI.WI, UNLABJ.WJ, ICONSI.CONSI, ICONSJ.CONSJ,
            IENTREI.ENTI, IENTREJ.ENTJ,
            MKII.MARKII, MKIJ.MARKIJ, MKJJ.MARKJJ, MKJI.MARKJI /;
OPTION MCP=MILES;
OPTION LIMROW=0;
OPTION LIMCOL=0;
$OFFSYMLIST OFFSYMXREF OFFUELLIST OFFUELXREF
CONSI.L = 200; CONSJ.L = 200; ENTI.L = 20; ENTJ.L = 20;
XI.L = 1; XJ.L = 1; XII.L = 1; XIJ.L = 1; XJJ.L = 1; XJI.L = 1;
YI.L = 1; YJ.L = 1; WFI.L = 1; WFJ.L = 1; NI.L = 2.5; NJ.L = 2.5;
PXDI.L = 1; PXDJ.L = 1; PXI.L = 1.25; PXJ.L = 1.25; PY.L = 1;
ZI.L = 1; ZJ.L = 1; WI.L = 1; WJ.L = 1; PUI.L = 1; PUJ.L = 1; PFI.L = 1; PFJ.L = 1;
MARKII.L = 0.20; MARKIJ.L = 0.20; MARKJJ.L = 0.20; MARKJI.L = 0.20;
PY.FX = 1;

SOLVE M54 USING MCP;
